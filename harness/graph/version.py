"""The one pinned Neo4j version: the Docker tag and the Maven artifact share it."""

NEO4J_VERSION = "5.26.30"
DOCKER_IMAGE = f"neo4j:{NEO4J_VERSION}-community"
MAVEN_ARTIFACT = f"org.neo4j:neo4j:{NEO4J_VERSION}"
# The image scripts/build_neo4j_image.py builds from Debian packages and Maven Central (no registry).
LOCAL_IMAGE = f"oncograph-harness/neo4j:{NEO4J_VERSION}-local"
