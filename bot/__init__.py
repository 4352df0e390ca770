"""The bot's edge: settings, application factory, i18n, logging and the `chibo` CLI."""
