"""Why a person is, or is not, in a course or a group: REFER's chain of reasons beside what
jonction manages in Moodle, for `jonction explain` and the dashboard."""
