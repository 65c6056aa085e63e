"""Building blocks of the synthetic omnichannel retailer written by `c360 generate`.

Pure numpy, no graph access. Everything is drawn from one `numpy.random.Generator`, so a seed fixes
every byte of the output.

  clock.py       the period, local shop hours and the retailer's time zone -> ISO 8601 text
  files.py       deterministic gzip CSV tables in the canonical import format
  names.py       fake first names, last names, cities and brand syllables
  catalogue.py   regions, stores, department > category > type, brands, products, assortments
  people.py      customers, duplicate profiles, identities, consents
  orders.py      baskets and lines: Zipf popularity, personal repurchase cycles, returns
  engagement.py  web, app and kiosk events; campaigns, coupons and redemptions; service cases
"""
