from prometheus_client import Counter

CHECKOUTS_STARTED = Counter("crm_billing_checkouts_started_total", "Checkout Sessions created")
CHECKOUTS_FAILED = Counter(
    "crm_billing_checkouts_failed_total", "Upgrade intents whose Checkout Session Stripe refused"
)
CHECKOUTS_COMPLETED = Counter(
    "crm_billing_checkouts_completed_total", "Checkouts Stripe reported completed"
)
WEBHOOKS = Counter(
    "crm_billing_webhooks_total", "Stripe webhook deliveries, by outcome", ["outcome"]
)
DOWNGRADES = Counter(
    "crm_billing_downgrades_total",
    "Tiers taken back because Stripe reported the purchase refunded, cancelled or lost in dispute",
    ["cause"],
)
SALES_CONTACTS = Counter(
    "crm_billing_sales_contacts_total",
    "Talk to Sales requests recorded, by the tier asked about",
    ["tier"],
)
