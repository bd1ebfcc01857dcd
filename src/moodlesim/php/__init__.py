"""How PHP and Moodle's helper functions treat request data and text."""
