"""What is due now: reminders, nudges, warnings to secretaries, follow-ups, delivery reports.

The planner runs on every replica, as often as it likes: each message it queues has a unique
outbox key, so running it twice (or on two machines at once) queues nothing twice, and a
bot that was down catches up on return. A bounded number of queries per run, whatever the
number of cells.

``run.plan`` runs every step; each module plans one kind of message: ``members`` (reminders
and check-in prompts), ``papers``, ``observers``, ``cell_warnings`` (to secretaries, or to
supervisors of cells without one), ``follow_ups`` (after a meeting) and ``delivery`` (the
invitations that could not be delivered). ``context`` holds what they share.
"""
