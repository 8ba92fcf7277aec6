"""The web layer's shared pieces: the blueprints (definitions only) and the request guards
that page modules of several domains use."""
