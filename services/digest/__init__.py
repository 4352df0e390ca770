"""The supervisors' digest: its figures (figures.py; the observations and the members at risk
in observations.py), the message and files it is sent as (report.py), /digest on demand
(on_demand.py) and the weekly delivery (weekly.py)."""
