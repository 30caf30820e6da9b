"""Email out and in: outbox, SMTP, signed links, replies."""
