"""Locust users for the Online Boutique frontend, written from BOUTIQUE.md's
account of upstream's load generator (not copied from it):

Each user first GETs /, then repeatedly picks a task by weight -- index 1,
setCurrency 2, browseProduct 10, addToCart 2, viewCart 3, checkout 1 -- and
waits 1-10 s between tasks. addToCart views a product then POSTs /cart with
a quantity of 1..10; checkout does addToCart and then POSTs /cart/checkout
with a fake address and a VISA card expiring next year or later.

Upstream generates the fake data with the Faker library; Debian's
python3-locust does not pull it in, so the data come from small word lists
here, with a Luhn-valid 16-digit VISA number made up each time.

Requests use Locust's HttpUser (python-requests): one session per user, so
the shop_session-id and shop_currency cookies are kept, and the frontend's
302s are followed, counted under the request that caused them. Product pages
are grouped under the name /product/[id] (upstream lists each id
separately), as our C load generator does.

Environment: THINK_MIN and THINK_MAX (seconds, default 1 and 10) shorten
the think time for tests.
"""
import datetime
import os
import random

from locust import HttpUser, TaskSet, between

PRODUCTS = [
    "0PUK6V6EV0", "1YMWWN1N4O", "2ZYFJ3GM2N", "66VCHSJNUP", "6E92ZMYYFZ",
    "9SIQT8TOJO", "L9ECAV7KIM", "LS4PSXUNUM", "OLJCESPC7Z",
]
CURRENCIES = ["EUR", "USD", "JPY", "CAD", "GBP", "TRY"]

FIRST = ["james", "mary", "robert", "patricia", "wei", "aiko", "olga", "ahmed",
         "fatima", "lars", "priya", "kofi", "carlos", "maria"]
LAST = ["smith", "garcia", "nguyen", "chen", "tanaka", "ivanova", "okafor",
        "larsen", "patel", "miller", "lopez", "brown"]
STREETS = ["Main", "Oak", "Pine", "Maple", "Cedar", "Lake", "Hill", "Park",
           "Amphitheatre", "River"]
SUFFIXES = ["Street", "Avenue", "Road", "Lane", "Drive", "Parkway", "Way"]
CITIES = ["Mountain View", "Springfield", "Riverside", "Franklin", "Bristol",
          "Salem", "Madison", "Arlington", "Oxford", "Newport"]
STATES = ["AL", "AK", "AZ", "CA", "CO", "FL", "GA", "IL", "MA", "NY", "OR",
          "TX", "WA", "WI"]
COUNTRIES = ["United States", "Canada", "Mexico", "Brazil", "United Kingdom",
             "France", "Germany", "Spain", "Italy", "Japan", "India",
             "Australia", "South Africa", "Turkey"]


def visa_number():
    """'4', 14 random digits and the Luhn check digit."""
    digits = [4] + [random.randint(0, 9) for _ in range(14)]
    total = 0
    for i, d in enumerate(reversed(digits)):
        if i % 2 == 0:  # doubled: every other digit from the check digit's left
            d *= 2
            if d > 9:
                d -= 9
        total += d
    digits.append((10 - total % 10) % 10)
    return "".join(map(str, digits))


def fake_checkout():
    next_year = datetime.date.today().year + 1
    first, last = random.choice(FIRST), random.choice(LAST)
    return {
        "email": "%s.%s%d@example.com" % (first, last, random.randint(1, 99)),
        "street_address": "%d %s %s" % (random.randint(1, 9999),
                                        random.choice(STREETS),
                                        random.choice(SUFFIXES)),
        "zip_code": str(random.randint(10000, 99999)),
        "city": random.choice(CITIES),
        "state": random.choice(STATES),
        "country": random.choice(COUNTRIES),
        "credit_card_number": visa_number(),
        "credit_card_expiration_month": random.randint(1, 12),
        "credit_card_expiration_year": random.randint(next_year, next_year + 69),
        "credit_card_cvv": str(random.randint(100, 999)),
    }


def index(l):
    l.client.get("/")


def setCurrency(l):
    l.client.post("/setCurrency", {"currency_code": random.choice(CURRENCIES)})


def browseProduct(l):
    l.client.get("/product/" + random.choice(PRODUCTS), name="/product/[id]")


def viewCart(l):
    l.client.get("/cart")


def addToCart(l):
    product = random.choice(PRODUCTS)
    l.client.get("/product/" + product, name="/product/[id]")
    l.client.post("/cart", {"product_id": product,
                            "quantity": random.randint(1, 10)})


def checkout(l):
    addToCart(l)
    l.client.post("/cart/checkout", fake_checkout())


class UserBehavior(TaskSet):
    def on_start(self):
        index(self)

    tasks = {index: 1, setCurrency: 2, browseProduct: 10, addToCart: 2,
             viewCart: 3, checkout: 1}


class WebsiteUser(HttpUser):
    tasks = [UserBehavior]
    wait_time = between(float(os.environ.get("THINK_MIN", "1")),
                        float(os.environ.get("THINK_MAX", "10")))
