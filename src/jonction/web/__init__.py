"""The dashboard: nights, operations, tonight's plan, explain and anomalies, behind a login."""
