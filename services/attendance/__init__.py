"""Attendance, one module a use case: the secretary's view of the answers (``overview``),
check-in at the meeting (``checkin``), the roll with its rate and quorum (``roll``), and the
report of repeated absences without reason (``absences``)."""
