"""E-mail: single messages (``.eml``, RFC 5322) and mailboxes (``.mbox``)."""
