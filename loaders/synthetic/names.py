"""Word lists for fake people, places and brands (invented or common words, no real persons)."""

from __future__ import annotations

FEMALE = tuple("""Anna Emma Julia Sophie Lisa Sara Eva Laura Lotte Noor Fleur Mila Zoe Lena Amira Nina Iris Yara
Maria Ines Clara Hanna Fatima Elif Olivia Chloe Marta Elena Sanne Femke Ilse Anouk Esther Linda Monique Petra
Ingrid Marieke Saskia Naomi Aisha Leila Rosa Vera Lieke Tess Maud Lara""".split())
MALE = tuple("""Daan Sem Lucas Levi Finn Milan Noah Luuk Jesse Thomas Jan Pieter Mark Bas Tim Ruben Koen Stijn Lars
Mohammed Yusuf Omar Ahmed Emre Mehmet David Daniel Martin Peter Michael Erik Hans Kees Wim Joost Sander Bram
Rick Dennis Jeroen Marco Paul Tom Max Jonas Felix Adam Samir Hugo""".split())
LAST = tuple("""de_Jong Jansen de_Vries van_den_Berg van_Dijk Bakker Janssen Visser Smit Meijer de_Boer Mulder de_Groot Bos
Vos Peters Hendriks van_Leeuwen Dekker Brouwer de_Wit Dijkstra Smits de_Graaf van_der_Meer van_der_Linden
Kok Jacobs de_Haan Vermeulen van_den_Heuvel van_der_Veen van_den_Broek de_Bruijn de_Bruin van_der_Heijden
Schouten van_Beek Willems van_Vliet van_de_Ven Hoekstra Maas Verhoeven Koster van_Dam van_der_Wal Prins Blom
Huisman Peeters Kuipers van_Wijk Postma Kramer Schipper Yilmaz Kaya El_Amrani Bouzid Schmidt Muller Fischer
Weber Wagner Becker Hoffmann Klein Wolf Novak Kowalski Rossi Garcia Martin Silva Nguyen Chen Singh""".split())  # "_" stands for a space inside a name
CITIES = (
    ("North", ("Groningen", "Leeuwarden", "Assen", "Emmen", "Drachten", "Sneek")),
    ("East", ("Zwolle", "Enschede", "Apeldoorn", "Arnhem", "Deventer", "Nijmegen")),
    ("South", ("Eindhoven", "Maastricht", "Tilburg", "Breda", "Venlo", "Den Bosch")),
    ("West", ("Rotterdam", "Den Haag", "Leiden", "Delft", "Dordrecht", "Zoetermeer")),
    ("Central", ("Utrecht", "Amersfoort", "Amsterdam", "Haarlem", "Almere", "Hilversum")),
)
BRAND_START = ("Al", "Bel", "Cor", "Dal", "El", "Fin", "Gar", "Hol", "Is", "Jor", "Kal", "Lum", "Mar", "Nor",
               "Or", "Pol", "Quin", "Ros", "Sol", "Tor", "Ul", "Val", "Wes", "Zen")
BRAND_END = ("ada", "bo", "cia", "dor", "ex", "fa", "gen", "ia", "ko", "lux", "mo", "na", "ora", "pa", "ris",
             "sa", "to", "va", "wick", "zo")


def display(word: str) -> str:
    """A list word as written (`van_der_Meer` -> `van der Meer`)."""
    return word.replace("_", " ")


def email_part(word: str) -> str:
    """A name as it appears in an e-mail address: lower case, no spaces."""
    return word.replace("_", "").replace(" ", "").lower()

# The demo's households shop in the US (America/New_York): common US given and family names, invented streets.
US_FEMALE = tuple("""Mary Patricia Jennifer Linda Elizabeth Barbara Susan Jessica Sarah Karen Lisa Nancy Betty Sandra
Ashley Kimberly Emily Donna Michelle Carol Amanda Melissa Deborah Stephanie Rebecca Sharon Laura Cynthia Amy
Angela Anna Brenda Emma Olivia Nicole Samantha Katherine Christine Rachel Maria Sofia Grace""".split())
US_MALE = tuple("""James Robert John Michael David William Richard Joseph Thomas Charles Christopher Daniel Matthew
Anthony Mark Donald Steven Paul Andrew Joshua Kevin Brian George Timothy Ronald Jason Edward Jeffrey Ryan Jacob
Gary Nicholas Eric Jonathan Stephen Larry Justin Scott Brandon Benjamin Samuel Carlos""".split())
US_LAST = tuple("""Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez Gonzalez
Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White Harris Sanchez Clark Ramirez Lewis
Robinson Walker Young Allen King Wright Scott Torres Nguyen Hill Flores Green Adams Nelson Baker Hall Rivera
Campbell Mitchell Carter Roberts Gomez Phillips Evans Turner Diaz Parker Cruz Edwards Collins Reyes Stewart
Morris Murphy Cook Rogers Morgan Peterson Cooper Reed Bailey Bell Kelly Howard Ward Cox Richardson Wood Watson
Brooks Bennett Gray James Price Hughes Sanders Patel Myers Long Ross Foster Kim""".split())
US_STREETS = ("Maple Ave", "Oak St", "Elm St", "Cedar Ln", "Pine Rd", "Walnut St", "Lakeview Dr", "Hillcrest Rd",
              "Park Pl", "River Rd", "Sunset Blvd", "Meadow Ln", "Church St", "Mill Rd", "Forest Ave", "Spring St")
US_TOWNS = ("Springfield", "Riverton", "Fairview", "Greenville", "Franklin", "Clinton", "Georgetown", "Salem",
            "Madison", "Ashland", "Oakdale", "Milford")
US_AREA_CODES = ("212", "312", "415", "513", "614", "617", "702", "713", "859", "937")  # numbers are 555-01xx
