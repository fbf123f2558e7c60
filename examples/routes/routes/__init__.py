"""Route finding on a street grid."""
