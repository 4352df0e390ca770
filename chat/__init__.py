"""The Telegram I/O layer: translation, rendering of replies into Bot API calls, log context
and the menus, shared by handlers and the scheduler; it imports only domain."""
