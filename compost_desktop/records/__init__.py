"""Records leaving the app: CSV exports, backups and restores."""
