"""Demo-only code: `flask seed demo` (seed.py) and the data it makes, and the Demo gateway's
hosted checkout pages (views.py, registered outside production only). Production never imports
this package (tests/demo/test_production_never_imports_demo.py holds that)."""
