"""Notifications: who wants which message on which channel (preferences.py), text messages
through a gateway (sms.py), reminders before appointments (reminders.py) and their pages
(views.py)."""
