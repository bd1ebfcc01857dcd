"""The ADE timetable: its web API, saved answers, and who teaches which element."""
