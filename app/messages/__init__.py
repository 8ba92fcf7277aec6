"""Messages: one thread per booking between its customer and the venue, with reports to admins."""
