"""The demo shop's world: its team, catalogue, customer names and places, and the odds.

Everything generation draws from that is data rather than logic: who works the desk, what
the shop sells, what customers are called and where they live, which channels and
priorities they pick and how often, and how long replies and waits take on each channel.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from workspace.vocabulary import DEFAULT_TIER, Channel, Priority, Role

#: The demo team, in id order: the first is the default identity.
AGENTS: tuple[tuple[str, str, str], ...] = (
    ("alex", "Alex Morgan", Role.AGENT),
    ("sam", "Sam Okafor", Role.SENIOR),
    ("riley", "Riley Chen", Role.AGENT),
    ("jordan", "Jordan Blake", Role.SUPERVISOR),
    ("casey", "Casey Ruiz", Role.TRAINER),
    ("priya", "Priya Nair", Role.AGENT),
)

CHANNELS: tuple[str, ...] = tuple(Channel)

#: The retailer the demo customers buy from.
SHOP = "Brightside Home"
SHOP_HANDLE = "@BrightsideHome"

#: Orders are placed over this many days before `now`.
ORDER_WINDOW_DAYS = 548

#: Historical threads end at least this long before `now`, leaving the present to the queue.
HISTORY_GAP = timedelta(days=2)

#: How long an open contact may have been waiting, by channel.
MAX_WAIT: dict[str, timedelta] = {
    Channel.CALL: timedelta(hours=3),
    Channel.CHAT: timedelta(hours=3),
    Channel.SMS: timedelta(hours=10),
    Channel.SOCIAL: timedelta(hours=10),
    Channel.EMAIL: timedelta(hours=48),
}


@dataclass(frozen=True)
class Product:
    """A catalogue entry; `warranty_months` is 0 for goods without a warranty."""

    sku: str
    name: str
    price: Decimal
    warranty_months: int


def _p(sku: str, name: str, price: str, warranty: int = 0) -> Product:
    return Product(sku, name, Decimal(price), warranty)


CATALOGUE: tuple[Product, ...] = (
    _p("KIT-1001", "Stainless Steel Cookware Set (10-piece)", "189.99", 24),
    _p("KIT-1002", 'Cast Iron Skillet 12"', "39.95"),
    _p("KIT-1003", "Chef's Knife 8\"", "64.50"),
    _p("KIT-1004", "Espresso Machine", "349.00", 24),
    _p("KIT-1005", "Burr Coffee Grinder", "89.99", 12),
    _p("KIT-1006", "Stand Mixer 5 qt", "279.99", 24),
    _p("KIT-1007", "Air Fryer 6 qt", "119.99", 12),
    _p("KIT-1008", "Electric Kettle 1.7 L", "44.99", 12),
    _p("KIT-1009", "High-Speed Blender", "99.00", 24),
    _p("KIT-1010", 'Non-Stick Frying Pan 11"', "34.99"),
    _p("KIT-1011", "Glass Food Storage Set (18-piece)", "29.99"),
    _p("KIT-1012", "4-Slice Toaster", "59.99", 12),
    _p("HOM-2001", "Memory Foam Pillow (2-pack)", "49.99"),
    _p("HOM-2002", "Cotton Bath Towel Set", "39.99"),
    _p("HOM-2003", "Robot Vacuum", "299.99", 24),
    _p("HOM-2004", "Cordless Stick Vacuum", "229.00", 24),
    _p("HOM-2005", "HEPA Air Purifier", "159.99", 24),
    _p("HOM-2006", "LED Floor Lamp", "74.95", 12),
    _p("HOM-2007", "Linen Duvet Cover, Queen", "89.00"),
    _p("HOM-2008", "Weighted Blanket 15 lb", "79.99"),
    _p("HOM-2009", "Blackout Curtains (pair)", "42.50"),
    _p("HOM-2010", "Dehumidifier 30 pt", "189.00", 24),
    _p("ELE-3001", "Wireless Noise-Cancelling Headphones", "249.99", 12),
    _p("ELE-3002", "Portable Bluetooth Speaker", "69.99", 12),
    _p("ELE-3003", "Smart Thermostat", "179.00", 24),
    _p("ELE-3004", "4K Streaming Stick", "49.99", 12),
    _p("ELE-3005", "Video Doorbell", "129.99", 12),
    _p("ELE-3006", "USB-C Charging Hub", "39.99", 12),
    _p("ELE-3007", "Smart Plug (4-pack)", "34.99", 12),
    _p("ELE-3008", "Wi-Fi Mesh Router (3-pack)", "279.00", 24),
    _p("ELE-3009", 'E-Reader 7"', "139.99", 12),
    _p("ELE-3010", "Fitness Tracker", "99.95", 12),
)

FIRST_NAMES: tuple[str, ...] = (
    "Maria", "James", "Aisha", "Chen", "Sofia", "Liam", "Fatima", "Noah", "Olivia", "Mateo",
    "Emma", "Ravi", "Hannah", "Kwame", "Grace", "Diego", "Yuki", "Ethan", "Amara", "Lucas",
    "Chloe", "Omar", "Isabella", "Daniel", "Mei", "Samuel", "Zoë", "Arjun", "Leah", "Tomás",
    "Nora", "Kenji", "Ava", "Elijah", "Priyanka", "Marcus", "Ingrid", "Andre", "Laila", "Ben",
    "Siobhán", "Victor", "Rosa", "Hiroshi", "Claire", "Malik", "Elena", "Patrick", "Nadia",
    "Jonah", "Beatriz", "Tariq", "Megan", "Luca", "Ama", "Connor", "Sara", "Dmitri", "Julia",
    "Kofi", "René", "Abigail", "Ibrahim", "Lucy", "Mohammed", "Camille", "Wei", "Tyler",
)  # fmt: skip

LAST_NAMES: tuple[str, ...] = (
    "Garcia", "Smith", "Khan", "Wei", "Rossi", "Johnson", "Haddad", "Williams", "Brown",
    "Hernández", "Jones", "Patel", "Müller", "Mensah", "Kim", "Lopez", "Tanaka", "Miller",
    "Okafor", "Silva", "Martin", "Nguyen", "Anderson", "Cohen", "Ivanova", "Taylor", "O'Brien",
    "Sharma", "Dubois", "Wilson", "Moreau", "Yamamoto", "Clarke", "Bianchi", "Adeyemi",
    "Walker", "Novak", "Fernandes", "Lindqvist", "Murphy", "Chowdhury", "Santos", "Becker",
    "Hughes", "Kowalski", "Reyes", "Abdullah", "Park", "Fischer", "Thompson", "Jensen",
    "Gonzalez", "Nakamura", "Osei", "Bennett", "Ali", "Moore", "Costa", "Ramirez", "Evans",
)  # fmt: skip

AREA_CODES: tuple[str, ...] = (
    "212", "310", "312", "415", "503", "512", "617", "702", "713", "720", "303", "404",
    "206", "305", "602", "614", "704", "801", "858", "919",
)  # fmt: skip

DOMAINS: tuple[str, ...] = (
    "example.com", "example.net", "example.org", "mail.example.com", "post.example.net",
)  # fmt: skip

STREETS: tuple[str, ...] = (
    "Maple Avenue", "Oak Street", "Cedar Lane", "Harbor Drive", "Willow Court", "Elm Street",
    "Lakeview Road", "Pine Ridge Way", "Sunset Boulevard", "Chestnut Place", "Mill Road",
)  # fmt: skip

CITIES: tuple[str, ...] = (
    "Portland, OR 97205", "Austin, TX 78704", "Denver, CO 80203", "Columbus, OH 43215",
    "Raleigh, NC 27601", "Tucson, AZ 85701", "Madison, WI 53703", "Boise, ID 83702",
)  # fmt: skip

CARRIERS: tuple[str, ...] = ("UPS", "FedEx", "USPS", "DHL")
PROMO_CODES: tuple[str, ...] = ("WELCOME15", "SPRING15", "HOME15", "THANKYOU15")
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

TIERS: tuple[str, ...] = (DEFAULT_TIER, "silver", "gold", "platinum")
TIER_WEIGHTS = (72, 16, 8, 4)

PRIORITIES: tuple[str, ...] = tuple(Priority)
PRIORITY_WEIGHTS = (8, 22, 55, 15)

#: Channels customers pick for history threads.
THREAD_CHANNEL_WEIGHTS = (30, 35, 15, 10, 10)  # chat, email, call, social, sms
#: Channels of the open contacts.
OPEN_CHANNEL_WEIGHTS = (30, 30, 18, 11, 11)

#: Agents who answer history threads (alex, sam, riley, jordan, casey, priya).
REPLY_WEIGHTS = (5, 5, 5, 1, 2, 5)
#: Agents who hold other open contacts (never alex: alex holds exactly a few).
HOLDER_WEIGHTS = {"sam": 3, "riley": 3, "jordan": 1, "casey": 1, "priya": 3}

#: Gaps before an agent's reply and before a customer's next message, in seconds.
REPLY_GAP: dict[str, tuple[int, int]] = {
    Channel.CHAT: (40, 300),
    Channel.CALL: (60, 540),
    Channel.SMS: (600, 4 * 3600),
    Channel.SOCIAL: (900, 5 * 3600),
    Channel.EMAIL: (3600, 20 * 3600),
}
CUSTOMER_GAP: dict[str, tuple[int, int]] = {
    Channel.CHAT: (30, 240),
    Channel.CALL: (3 * 3600, 48 * 3600),
    Channel.SMS: (1800, 20 * 3600),
    Channel.SOCIAL: (3600, 24 * 3600),
    Channel.EMAIL: (2 * 3600, 24 * 3600),
}


#: The demo agents' names, in id order.
AGENT_NAMES: tuple[str, ...] = tuple(name for name, _, _ in AGENTS)

#: The products that come with a warranty.
WARRANTIED = tuple(p for p in CATALOGUE if p.warranty_months)
