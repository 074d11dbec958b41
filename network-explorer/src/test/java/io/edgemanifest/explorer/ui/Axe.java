package io.edgemanifest.explorer.ui;

import static org.assertj.core.api.Assertions.assertThat;

import com.deque.html.axecore.results.CheckedNode;
import com.deque.html.axecore.results.Results;
import com.deque.html.axecore.results.Rule;
import com.deque.html.axecore.selenium.AxeBuilder;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.openqa.selenium.WebDriver;

/**
 * axe-core (the engine browsers' accessibility audits use) on the page a test has open: WCAG 2.x A
 * and AA rules, colour contrast included. A view is accessible enough for #13 when nothing
 * {@code serious} or {@code critical} is found; {@code moderate}/{@code minor} findings are returned
 * by {@link #violations} for a test that wants them, but do not fail {@link #assertClean}.
 */
public final class Axe {

    private static final List<String> TAGS = List.of("wcag2a", "wcag2aa", "wcag21a", "wcag21aa");
    private static final Set<String> FAILING = Set.of("serious", "critical");

    private Axe() {
    }

    /**
     * Chooses the UI's theme ({@code light}, {@code dark} or {@code system}) as its toggle does, for
     * the next page load: the browser must be on the Explorer's origin; load the view afterwards
     * (a bare hash change does not reload) and check {@code html[data-theme]}.
     */
    public static void chooseTheme(WebDriver browser, String theme) {
        ((org.openqa.selenium.JavascriptExecutor) browser).executeScript("localStorage.setItem('explorer.theme', arguments[0])", theme);
    }

    /** Every violation on the open page, one line each: impact, rule id, help and the offending elements. */
    public static List<String> violations(WebDriver browser) {
        Results results = new AxeBuilder().withTags(TAGS).analyze(browser);
        assertThat(results.isErrored()).as("axe-core ran: %s", results.getErrorMessage()).isFalse();
        List<String> lines = new ArrayList<>();
        for (Rule rule : results.getViolations()) {
            List<String> where = new ArrayList<>();
            for (CheckedNode node : rule.getNodes()) {
                where.add(node.getTarget() + " " + node.getFailureSummary().replace('\n', ' '));
            }
            lines.add(rule.getImpact() + " " + rule.getId() + ": " + rule.getHelp() + " at " + where);
        }
        return lines;
    }

    /**
     * Fails naming every serious or critical violation on the open page.
     *
     * @param what the view and theme checked, for the failure message ("devices, dark")
     */
    public static void assertClean(WebDriver browser, String what) {
        List<String> failing = violations(browser).stream()
                .filter(v -> FAILING.contains(v.substring(0, v.indexOf(' '))))
                .toList();
        assertThat(failing).as("serious/critical accessibility violations in %s", what).isEmpty();
    }
}
