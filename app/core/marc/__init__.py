"""MARC 21 records: reading, checking, changing and encoding them (no Qt)."""
