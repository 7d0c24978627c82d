import json

from django.db import models


class OrderedJSONField(models.TextField):
    """JSON kept as text, so it comes back exactly as it was written.

    PostgreSQL's jsonb reorders object keys; a compacted context window must be
    sent back to the provider byte for byte, which a JSONField cannot promise."""

    def from_db_value(self, value, expression, connection):
        return None if value is None else json.loads(value)

    def to_python(self, value):
        if value is None or not isinstance(value, str):
            return value
        return json.loads(value)

    def get_prep_value(self, value):
        return None if value is None else json.dumps(value, ensure_ascii=False)

    def value_to_string(self, obj):
        return self.get_prep_value(self.value_from_object(obj))
