"""Validates an ISO 20022 message against the official XSD that Python's
sepaxml package ships: validate.py SCHEMA FILE (e.g. pain.001.001.09).
Prints the first error and exits 1 when the file is not valid."""
import os
import sys

import sepaxml
import xmlschema

schema_name, path = sys.argv[1], sys.argv[2]
schema_path = os.path.join(os.path.dirname(sepaxml.__file__), "schemas", schema_name + ".xsd")
schema = xmlschema.XMLSchema(schema_path)
errors = list(schema.iter_errors(path))
if errors:
    print(errors[0])
    sys.exit(1)
print("valid against", os.path.basename(schema_path))
