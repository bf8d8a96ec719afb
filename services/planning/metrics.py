from prometheus_client import Counter

NOTES = Counter("crm_planning_roadmap_notes_total", "Roadmap notes recorded")
REFUSED = Counter(
    "crm_planning_roadmap_notes_refused_total", "Roadmap notes refused, by reason", ["reason"]
)
