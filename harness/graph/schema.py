"""The OncoGraph schema: node keys (uniqueness constraints) and relationship types."""

NODE_KEYS = {"Gene": "symbol", "Variant": "name", "Therapy": "name", "Disease": "name"}
RELATIONSHIP_TYPES = ("VARIANT_OF", "TARGETS", "AFFECTS_RESPONSE_TO")


def constraint_statements() -> list[str]:
    return [
        f"CREATE CONSTRAINT {label.lower()}_{key} IF NOT EXISTS FOR (n:{label}) REQUIRE n.{key} IS UNIQUE"
        for label, key in NODE_KEYS.items()
    ]


def apply_constraints(driver) -> None:
    for statement in constraint_statements():
        driver.execute_query(statement)


def existing_constraints(driver) -> list[dict]:
    records, _, _ = driver.execute_query(
        "SHOW CONSTRAINTS YIELD labelsOrTypes, properties, type RETURN labelsOrTypes[0] AS label, properties[0] AS key, type"
    )
    return [record.data() for record in records]
