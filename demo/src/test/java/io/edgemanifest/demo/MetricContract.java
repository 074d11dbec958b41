package io.edgemanifest.demo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The alert rules ({@code deploy/prometheus/alerts.yml}) and the dashboard
 * ({@code deploy/grafana/edge-manifest.json}) may name only metrics and labels that the processes
 * export: a renamed metric must fail a test, not silence an alert in production.
 */
final class MetricContract {

    /** Labels Prometheus adds to every scraped series: not the processes' to export. */
    static final Set<String> TARGET_LABELS = Set.of("job", "instance");

    private static final Pattern EXPR = Pattern.compile("^(\\s*)(?:- )?expr:\\s*(.*)$");
    private static final Pattern ALERT = Pattern.compile("^\\s*- (?:alert|record):\\s*(\\S+)");
    private static final Pattern LABEL_VALUES = Pattern.compile("^\\s*label_values\\((?:(.*),)?\\s*([a-zA-Z_][a-zA-Z0-9_]*)\\s*\\)\\s*$");
    private static final Pattern QUERY_RESULT = Pattern.compile("^\\s*query_result\\((.*)\\)\\s*$", Pattern.DOTALL);

    private MetricContract() {
    }

    /** Each rule's expression in a Prometheus rules file, by "alert NAME" (block scalars {@code |} and {@code >} too). */
    static Map<String, String> ruleExpressions(String yaml) {
        Map<String, String> expressions = new LinkedHashMap<>();
        String[] lines = yaml.split("\n");
        String rule = "?";
        for (int i = 0; i < lines.length; i++) {
            Matcher alert = ALERT.matcher(lines[i]);
            if (alert.find()) {
                rule = alert.group(1);
            }
            Matcher expr = EXPR.matcher(lines[i]);
            if (!expr.matches()) {
                continue;
            }
            String value = expr.group(2).strip();
            if (value.startsWith("|") || value.startsWith(">")) {
                int indent = expr.group(1).length();
                StringBuilder block = new StringBuilder();
                while (i + 1 < lines.length && (lines[i + 1].isBlank() || indentOf(lines[i + 1]) > indent)) {
                    block.append(lines[++i].strip()).append('\n');
                }
                value = block.toString().strip();
            } else if (value.length() > 1 && (value.startsWith("\"") || value.startsWith("'"))) {
                value = value.substring(1, value.length() - 1);
            }
            expressions.put("alert " + rule, value);
        }
        return expressions;
    }

    private static int indentOf(String line) {
        int n = 0;
        while (n < line.length() && line.charAt(n) == ' ') {
            n++;
        }
        return n;
    }

    /** Every panel target's expression and every query variable's query of a Grafana dashboard, by where it is. */
    static Map<String, String> dashboardQueries(String json) throws IOException {
        JsonNode root = new ObjectMapper().readTree(json);
        Map<String, String> queries = new LinkedHashMap<>();
        List<JsonNode> panels = new ArrayList<>();
        root.path("panels").forEach(panels::add);
        for (int i = 0; i < panels.size(); i++) {
            JsonNode panel = panels.get(i);
            panel.path("panels").forEach(panels::add); // collapsed rows hold theirs
            for (JsonNode target : panel.path("targets")) {
                if (target.hasNonNull("expr")) {
                    queries.put("panel '" + panel.path("title").asText() + "' target " + target.path("refId").asText(),
                            target.get("expr").asText());
                }
            }
        }
        for (JsonNode variable : root.path("templating").path("list")) {
            if ("query".equals(variable.path("type").asText())) {
                JsonNode query = variable.path("query");
                queries.put("variable " + variable.path("name").asText(),
                        query.isObject() ? query.path("query").asText() : query.asText());
            }
        }
        return queries;
    }

    /** What {@code query} names that {@code exported} lacks, one line per problem, prefixed with {@code where}. */
    static List<String> violations(String where, String query, Exposition exported) {
        Matcher labelValues = LABEL_VALUES.matcher(query);
        if (labelValues.matches()) {
            List<String> problems = new ArrayList<>();
            String label = labelValues.group(2);
            if (labelValues.group(1) == null) {
                return problems; // label_values(label): any metric
            }
            PromQl.Names names = PromQl.names(labelValues.group(1));
            problems.addAll(check(where, names, exported));
            for (String metric : names.metrics()) {
                if (exported.has(metric) && !exported.labels(metric).contains(label)) {
                    problems.add(where + ": label_values reads label '" + label + "' that " + metric + " does not have");
                }
            }
            return problems;
        }
        Matcher queryResult = QUERY_RESULT.matcher(query);
        return check(where, PromQl.names(queryResult.matches() ? queryResult.group(1) : query), exported);
    }

    private static List<String> check(String where, PromQl.Names names, Exposition exported) {
        List<String> problems = new ArrayList<>();
        Set<String> labelsInScope = new LinkedHashSet<>(TARGET_LABELS);
        for (PromQl.Selector selector : names.selectors()) {
            String metric = selector.metric();
            if (!exported.has(metric)) {
                problems.add(where + ": metric " + metric + " is exported by no process");
                continue;
            }
            labelsInScope.addAll(exported.labels(metric));
            selector.matchers().forEach((label, value) -> {
                if (TARGET_LABELS.contains(label)) {
                    return;
                }
                if (!exported.labels(metric).contains(label)) {
                    problems.add(where + ": " + metric + " has no label '" + label + "' (it has " + exported.labels(metric) + ")");
                } else if (value != null && !exported.values(metric, label).contains(value)) {
                    problems.add(where + ": " + metric + "{" + label + "=\"" + value + "\"} matches no exported series (values "
                            + exported.values(metric, label) + ")");
                }
            });
        }
        for (String metric : names.counted()) {
            if (exported.isGauge(metric)) {
                problems.add(where + ": rate()/increase() over " + metric + ", a gauge (export a counter instead)");
            }
        }
        for (String label : names.groupingLabels()) {
            if (!labelsInScope.contains(label)) {
                problems.add(where + ": groups by label '" + label + "' that none of " + names.metrics() + " has");
            }
        }
        return problems;
    }

    /** Every problem of the rules file and the dashboard under {@code root} against {@code exported}. */
    static List<String> violations(Path root, Exposition exported) throws IOException {
        List<String> problems = new ArrayList<>();
        Map<String, String> queries = new LinkedHashMap<>();
        ruleExpressions(Files.readString(root.resolve("deploy/prometheus/alerts.yml")))
                .forEach((where, expr) -> queries.put("alerts.yml " + where, expr));
        dashboardQueries(Files.readString(root.resolve("deploy/grafana/edge-manifest.json")))
                .forEach((where, expr) -> queries.put("edge-manifest.json " + where, expr));
        if (queries.isEmpty()) {
            problems.add("no rule expression and no dashboard query found under " + root);
        }
        queries.forEach((where, query) -> problems.addAll(violations(where, query, exported)));
        return problems;
    }
}
