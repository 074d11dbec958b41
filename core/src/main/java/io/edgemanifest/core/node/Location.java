package io.edgemanifest.core.node;

/**
 * Where a node is, as its operator says ({@code --location "Las Vegas,US,36.17,-115.14"}).
 * Coordinates are optional.
 */
public record Location(String city, String country, Double lat, Double lon) {

    public Location {
        if (lat != null && (lat < -90 || lat > 90)) {
            throw new IllegalArgumentException("latitude out of range: " + lat);
        }
        if (lon != null && (lon < -180 || lon > 180)) {
            throw new IllegalArgumentException("longitude out of range: " + lon);
        }
    }

    /** Parses {@code city,country[,lat,lon]}. */
    public static Location parse(String text) {
        String[] parts = text.split(",", -1);
        if (parts.length != 2 && parts.length != 4) {
            throw new IllegalArgumentException("invalid --location '" + text + "' (use city,country[,lat,lon])");
        }
        String city = parts[0].strip();
        String country = parts[1].strip();
        if (city.isEmpty() || country.isEmpty()) {
            throw new IllegalArgumentException("invalid --location '" + text + "': city and country are needed");
        }
        if (parts.length == 2) {
            return new Location(city, country, null, null);
        }
        try {
            return new Location(city, country, Double.parseDouble(parts[2].strip()), Double.parseDouble(parts[3].strip()));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("invalid --location '" + text + "': lat,lon must be numbers");
        }
    }
}
