"""invoicing's page modules: each adds its routes to a blueprint of app/web/blueprints.py."""
