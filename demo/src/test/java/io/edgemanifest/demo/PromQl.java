package io.edgemanifest.demo;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The metric and label names a PromQL expression reads — enough of PromQL to check alert rules and
 * dashboard queries against what the processes export, not a parser of its full grammar: an
 * identifier followed by {@code (} is a function or aggregation, one inside {@code {...}} a label,
 * one in the parentheses after {@code by}, {@code without}, {@code on}, {@code ignoring},
 * {@code group_left} or {@code group_right} a grouping label; strings, numbers, durations and
 * {@code [...]} ranges are skipped, as are Grafana's {@code $variables}.
 */
final class PromQl {

    /** A metric selector: its name and the label matchers written on it (label -> value of an {@code =} matcher, or null). */
    record Selector(String metric, Map<String, String> matchers) {
    }

    /**
     * What one expression names.
     *
     * @param counted metrics read directly inside {@code rate}, {@code irate} or {@code increase}: they
     *                must be counters (or a histogram's series) — over a gauge those mean nothing
     */
    record Names(List<Selector> selectors, Set<String> groupingLabels, Set<String> counted) {
        Set<String> metrics() {
            Set<String> names = new LinkedHashSet<>();
            selectors.forEach(s -> names.add(s.metric()));
            return names;
        }
    }

    private static final Set<String> GROUPING = Set.of("by", "without", "on", "ignoring", "group_left", "group_right");
    private static final Set<String> KEYWORDS = Set.of("and", "or", "unless", "bool", "offset", "atan2", "inf", "nan",
            "by", "without", "on", "ignoring", "group_left", "group_right");
    /** Aggregations: {@code sum by (x) (...)} has no parenthesis right after the name. */
    private static final Set<String> AGGREGATIONS = Set.of("sum", "min", "max", "avg", "group", "stddev", "stdvar",
            "count", "count_values", "bottomk", "topk", "quantile", "limitk", "limit_ratio");

    private final String text;
    private int pos;
    private final List<Selector> selectors = new ArrayList<>();
    private final Set<String> grouping = new LinkedHashSet<>();
    private final Set<String> counted = new LinkedHashSet<>();
    /** Per open parenthesis, the function it belongs to ("" for an aggregation or plain grouping). */
    private final java.util.Deque<String> calls = new java.util.ArrayDeque<>();
    private String function;
    private static final Set<String> COUNTER_FUNCTIONS = Set.of("rate", "irate", "increase");

    private PromQl(String text) {
        this.text = text;
    }

    static Names names(String expression) {
        PromQl parser = new PromQl(expression);
        parser.parse();
        return new Names(List.copyOf(parser.selectors), Set.copyOf(parser.grouping), Set.copyOf(parser.counted));
    }

    private void parse() {
        String previousIdentifier = null; // a metric name a following {...} belongs to
        while (pos < text.length()) {
            char c = text.charAt(pos);
            if (Character.isWhitespace(c)) {
                pos++;
            } else if (c == '"' || c == '\'' || c == '`') {
                skipString(c);
                previousIdentifier = null;
            } else if (c == '#') {
                while (pos < text.length() && text.charAt(pos) != '\n') {
                    pos++;
                }
            } else if (c == '[') {
                skipPast(']');
            } else if (c == '$') {
                skipVariable();
                previousIdentifier = null;
            } else if (c == '{') {
                Map<String, String> matchers = matchers();
                if (previousIdentifier != null) {
                    selectors.set(selectors.size() - 1, new Selector(previousIdentifier, matchers));
                } else if (matchers.containsKey("__name__") && matchers.get("__name__") != null) {
                    selectors.add(new Selector(matchers.get("__name__"), matchers));
                }
                previousIdentifier = null;
            } else if (Character.isDigit(c) || (c == '.' && pos + 1 < text.length() && Character.isDigit(text.charAt(pos + 1)))) {
                while (pos < text.length() && (Character.isLetterOrDigit(text.charAt(pos)) || text.charAt(pos) == '.')) {
                    pos++;
                }
                previousIdentifier = null;
            } else if (isIdentifierStart(c)) {
                String identifier = identifier();
                char next = nextNonSpace();
                if (GROUPING.contains(identifier) && next == '(') {
                    pos = text.indexOf('(', pos) + 1;
                    grouping.addAll(labelList());
                    previousIdentifier = null;
                } else if (KEYWORDS.contains(identifier.toLowerCase(java.util.Locale.ROOT)) || AGGREGATIONS.contains(identifier)
                        || next == '(') {
                    previousIdentifier = null; // a function, an aggregation or an operator
                    function = next == '(' && !AGGREGATIONS.contains(identifier) ? identifier : null;
                } else {
                    selectors.add(new Selector(identifier, Map.of()));
                    if (!calls.isEmpty() && COUNTER_FUNCTIONS.contains(calls.peek())) {
                        counted.add(identifier);
                    }
                    previousIdentifier = identifier;
                }
            } else if (c == '(') {
                calls.push(function == null ? "" : function);
                function = null;
                pos++;
                previousIdentifier = null;
            } else if (c == ')') {
                calls.poll();
                pos++;
                previousIdentifier = null;
            } else {
                pos++;
                previousIdentifier = null;
            }
        }
    }

    private static boolean isIdentifierStart(char c) {
        return Character.isLetter(c) || c == '_' || c == ':';
    }

    private static boolean isIdentifierPart(char c) {
        return Character.isLetterOrDigit(c) || c == '_' || c == ':';
    }

    private String identifier() {
        int start = pos;
        while (pos < text.length() && isIdentifierPart(text.charAt(pos))) {
            pos++;
        }
        return text.substring(start, pos);
    }

    private char nextNonSpace() {
        int i = pos;
        while (i < text.length() && Character.isWhitespace(text.charAt(i))) {
            i++;
        }
        return i < text.length() ? text.charAt(i) : '\0';
    }

    private void skipWhitespace() {
        while (pos < text.length() && Character.isWhitespace(text.charAt(pos))) {
            pos++;
        }
    }

    /** Skips a quoted string starting at {@code pos}, returning its content (escapes kept as written). */
    private String skipString(char quote) {
        int start = ++pos;
        while (pos < text.length() && text.charAt(pos) != quote) {
            if (text.charAt(pos) == '\\' && quote != '`') {
                pos++;
            }
            pos++;
        }
        String content = text.substring(start, Math.min(pos, text.length()));
        pos++;
        return content;
    }

    private void skipPast(char end) {
        int at = text.indexOf(end, pos);
        pos = at < 0 ? text.length() : at + 1;
    }

    /** {@code $name}, {@code ${name}} or {@code ${name:format}}. */
    private void skipVariable() {
        pos++;
        if (pos < text.length() && text.charAt(pos) == '{') {
            skipPast('}');
        } else {
            identifier();
        }
    }

    /** {@code {a="x", b=~"y"}}: label -> the value of an {@code =} matcher with no variable in it, else null. */
    private Map<String, String> matchers() {
        pos++;
        Map<String, String> matchers = new LinkedHashMap<>();
        while (true) {
            skipWhitespace();
            if (pos >= text.length()) {
                throw new IllegalArgumentException("unclosed { in: " + text);
            }
            char c = text.charAt(pos);
            if (c == '}') {
                pos++;
                return matchers;
            }
            if (c == ',') {
                pos++;
                continue;
            }
            if (!isIdentifierStart(c)) {
                throw new IllegalArgumentException("unexpected '" + c + "' in a label matcher of: " + text);
            }
            String label = identifier();
            skipWhitespace();
            int opStart = pos;
            while (pos < text.length() && "=!~".indexOf(text.charAt(pos)) >= 0) {
                pos++;
            }
            String op = text.substring(opStart, pos);
            skipWhitespace();
            char quote = pos < text.length() ? text.charAt(pos) : '\0';
            if (op.isEmpty() || (quote != '"' && quote != '\'' && quote != '`')) {
                throw new IllegalArgumentException("label " + label + " without an operator and a quoted value in: " + text);
            }
            String value = skipString(quote);
            matchers.put(label, op.equals("=") && !value.contains("$") ? value : null);
        }
    }

    /** {@code (a, b)} after a grouping keyword; {@code pos} just past the {@code (}. */
    private List<String> labelList() {
        List<String> labels = new ArrayList<>();
        while (pos < text.length()) {
            skipWhitespace();
            char c = text.charAt(pos);
            if (c == ')') {
                pos++;
                break;
            }
            if (c == ',') {
                pos++;
            } else if (isIdentifierStart(c)) {
                labels.add(identifier());
            } else {
                throw new IllegalArgumentException("unexpected '" + c + "' in a label list of: " + text);
            }
        }
        return labels;
    }
}
