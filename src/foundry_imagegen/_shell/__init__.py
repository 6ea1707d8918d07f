"""The I/O shells: the only code that sends, sleeps, fetches tokens or touches the disk."""
