"""Audio: capture or decode sound into hops, and analyse hops into AudioFeatures."""
