package io.edgemanifest.explorer.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.StringWriter;
import java.time.Instant;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class CsvTest {

    @Test
    void quotesOnlyWhatNeedsItAndDoublesQuotes() throws Exception {
        StringWriter out = new StringWriter();
        Csv.row(out, Arrays.asList("plain", "a,b", "say \"hi\"", "two\nlines", null, 1.5, -115.14,
                Instant.parse("2026-11-26T10:00:00Z"), true, "<script>alert(1)</script>"));
        assertThat(out.toString()).isEqualTo("plain,\"a,b\",\"say \"\"hi\"\"\",\"two\nlines\",,1.5,-115.14,"
                + "2026-11-26T10:00:00Z,true,<script>alert(1)</script>\r\n");
    }

    @Test
    void aTextCellASpreadsheetWouldRunAsAFormulaIsDefused() {
        assertThat(Csv.cell("=HYPERLINK(\"x\")")).isEqualTo("\"'=HYPERLINK(\"\"x\"\")\"");
        assertThat(Csv.cell("+1")).isEqualTo("'+1");
        assertThat(Csv.cell("-1")).isEqualTo("'-1");
        assertThat(Csv.cell("@SUM(A1)")).isEqualTo("'@SUM(A1)");
        assertThat(Csv.cell(-1.0)).as("a number is a number").isEqualTo("-1.0");
        assertThat(Csv.cell("")).isEmpty();
    }
}
