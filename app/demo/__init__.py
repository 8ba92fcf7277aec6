"""Demo-only code: `flask seed demo` (seed.py) and the data it makes. Production never imports
this package (tests/demo/test_production_never_imports_demo.py holds that)."""
