"""The one pinned Neo4j version: the Docker tag and the Maven artifact share it."""

NEO4J_VERSION = "5.26.30"
DOCKER_IMAGE = f"neo4j:{NEO4J_VERSION}-community"
MAVEN_ARTIFACT = f"org.neo4j:neo4j:{NEO4J_VERSION}"
