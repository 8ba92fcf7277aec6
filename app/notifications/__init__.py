"""Notifications: every kind of notice declared once (catalogue.py, sent by telling.py), who
wants which message on which channel (preferences.py), in-app notices (centre.py), text
messages through a gateway (sms.py), reminders before appointments (reminders.py), the
receivers that tell people what happened, and their pages (views.py). They sit above privacy
and the waitlist, whose signals they answer."""
