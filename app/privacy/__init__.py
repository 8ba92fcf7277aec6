"""UK GDPR: data exports, account deletion, marketing consent, retention, legal pages."""
