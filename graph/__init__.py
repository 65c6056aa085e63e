"""The retail graph in Neo4j. This package imports no other layer of the project.

Nodes (natural key, unique):
  Retailer(retailer_id)        name, currency, timezone
  Customer(customer_id)        retailer_id, names, contact, birthday, demographics, loyalty, tags, anonymous
  Identity(identity_key)       kind (loyalty_card|email|phone|web_account|member_no|external), value
  Product(product_id)          retailer_id, name, price_minor, is_consumable, package_size
  Category(category_id)        name, level (department|category|type)
  Brand(brand_id)              name
  Store(store_id)              retailer_id, name, format
  Region(region_id)            name
  Channel(channel_id)          pos|web|kiosk|app|service_desk|third_party
  Order(order_id)              retailer_id, placed_at, kind (purchase|return|adjustment), totals in minor units
  Event(event_id)              kind (view|cart|wishlist|search|visit|return|purchase), occurred_at
  ServiceCase(case_id), ServiceNote(note_id), Consent(consent_id), Campaign(campaign_id),
  Coupon(coupon_id), Segment(segment_id)
  Charge(charge_id)            code, kind (postage|fee|manual|discount|sample|bad_debt|gift_voucher), name

Relationships:
  (Customer)-[:HAS_IDENTITY {channel_id, since}]->(Identity)
  (Customer)-[:PLACED]->(Order)-[:CONTAINS {line_no, quantity, unit_price_minor, amount_minor,
      discount_minor, coupon_discount_minor}]->(Product)
  (Order)-[:AT_STORE]->(Store), (Order)-[:VIA]->(Channel), (Order)-[:IN_REGION]->(Region)
  (Order)-[:CHARGED {line_no, quantity, unit_price_minor, amount_minor, description}]->(Charge)   non-product lines
  (Product)-[:IN_CATEGORY]->(Category)-[:PARENT]->(Category), (Product)-[:OF_BRAND]->(Brand)
  (Store)-[:IN_REGION]->(Region), (Store)-[:CARRIES {stock, source}]->(Product)
  (Store)-[:PROMOTED {week, display, mailer}]->(Product)
  (Customer)-[:DID]->(Event)-[:ABOUT]->(Product), (Event)-[:VIA]->(Channel), (Event)-[:AT_STORE]->(Store)
  (Customer)-[:RAISED]->(ServiceCase)-[:HAS_NOTE]->(ServiceNote)
  (Customer)-[:GAVE]->(Consent)
  (Customer)-[:RECEIVED]->(Campaign)<-[:OF_CAMPAIGN]-(Coupon)-[:APPLIES_TO]->(Product)
  (Customer)-[:REDEEMED {redeemed_on}]->(Coupon)
  (Customer)-[:HOME_STORE]->(Store), (Customer)-[:MEMBER_OF]->(Segment)
  (Customer)-[:MERGED_INTO {...}]->(Customer)   a merged-away profile points at the survivor
Money is stored in minor units (integer cents/pence) with the retailer's currency; times are
timezone-aware datetimes (UTC).
"""
