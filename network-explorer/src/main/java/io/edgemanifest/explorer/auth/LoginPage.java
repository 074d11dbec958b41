package io.edgemanifest.explorer.auth;

/**
 * The login form: plain HTML that works with scripts off, styled by {@code /app.css} only (no inline
 * script or style: the CSP forbids both). The form has no {@code action}: it posts to the page's own
 * address, so the fragment the browser carried here ({@code #/nodes}) is carried through the 303
 * redirects back into the UI, which only sees paths.
 */
final class LoginPage {

    private LoginPage() {
    }

    static String html(String next, boolean failed, String message) {
        String alert = message != null ? message : failed ? "Wrong user name or password." : null;
        return """
                <!doctype html>
                <html lang="en">
                <head>
                  <meta charset="utf-8">
                  <meta name="viewport" content="width=device-width, initial-scale=1">
                  <title>Log in · Network Explorer</title>
                  <link rel="stylesheet" href="/app.css">
                </head>
                <body class="login-page">
                  <main id="login">
                    <form method="post" class="card login-card">
                      <h1>Network Explorer</h1>
                %s      <label for="username">User name</label>
                      <input id="username" name="username" autocomplete="username" required autofocus>
                      <label for="password">Password</label>
                      <input id="password" name="password" type="password" autocomplete="current-password" required>
                      <input type="hidden" name="next" value="%s">
                      <button type="submit" id="login-submit">Log in</button>
                    </form>
                  </main>
                </body>
                </html>
                """.formatted(alert == null ? "" : "      <p class=\"error\" role=\"alert\" id=\"login-error\">" + escape(alert) + "</p>\n",
                escape(next));
    }

    /** HTML-escapes text for element content and double-quoted attributes. */
    static String escape(String s) {
        StringBuilder b = new StringBuilder(s.length() + 16);
        for (char c : s.toCharArray()) {
            switch (c) {
                case '&' -> b.append("&amp;");
                case '<' -> b.append("&lt;");
                case '>' -> b.append("&gt;");
                case '"' -> b.append("&quot;");
                case '\'' -> b.append("&#39;");
                default -> b.append(c);
            }
        }
        return b.toString();
    }
}
