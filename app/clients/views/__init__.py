"""clients' page modules: the client book and the desk's new booking (``clients``), the desk's new visit
(``desk_visit``); each adds its routes to the dashboard blueprint of app/web/blueprints.py."""
