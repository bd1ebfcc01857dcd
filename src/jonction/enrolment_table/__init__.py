"""The external enrolment table that Moodle's enrol_database reads, and its sync trigger."""
