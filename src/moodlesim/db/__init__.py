"""The simulated Moodle's database: tables, engine, first install, id sequences."""
