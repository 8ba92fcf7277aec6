"""Search benchmark: ``generate`` builds a corpus of N venues, ``run`` measures the query shapes."""
