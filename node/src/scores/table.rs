//! Delimited text tables, as spreadsheets export them: RFC 4180 quoting, a UTF-8 byte-order
//! mark, CRLF or LF line ends, and the delimiter (comma, semicolon or tab) found from the header
//! line, since a European spreadsheet writes semicolons.

/// A table: its header and its rows, each row with its line number in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    /// Column names, trimmed.
    pub header: Vec<String>,
    /// `(line number from 1, cells)`; every row has as many cells as the header.
    pub rows: Vec<(usize, Vec<String>)>,
}

/// Why a table does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TableError {
    /// No header line.
    #[error("the table is empty (no header line)")]
    Empty,
    /// A quoted cell that never closes.
    #[error("line {0}: a quoted cell is not closed")]
    OpenQuote(usize),
    /// A row with another number of cells than the header.
    #[error("line {line}: {found} cells where the header has {expected}")]
    Width {
        /// Line number, from 1.
        line: usize,
        /// Cells found.
        found: usize,
        /// Cells in the header.
        expected: usize,
    },
    /// An XLSX workbook that cannot be read as a table (or written).
    #[error("{0}")]
    Workbook(String),
}

/// The delimiter of a header line: the most frequent of `,` `;` and tab outside quotes.
fn delimiter(header: &str) -> char {
    let mut counts = [(',', 0usize), (';', 0), ('\t', 0)];
    let mut quoted = false;
    for c in header.chars() {
        if c == '"' {
            quoted = !quoted;
        } else if !quoted {
            for (d, n) in counts.iter_mut() {
                if c == *d {
                    *n += 1;
                }
            }
        }
    }
    counts
        .iter()
        .max_by_key(|(_, n)| *n)
        .map_or(',', |(d, _)| *d)
}

/// Parse delimited text. Blank lines are skipped; cells are trimmed.
pub fn parse_table(text: &str) -> Result<Table, TableError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let first = text
        .lines()
        .find(|l| !l.trim().is_empty())
        .ok_or(TableError::Empty)?;
    let delim = delimiter(first);
    let mut records: Vec<(usize, Vec<String>)> = Vec::new();
    let mut cells: Vec<String> = Vec::new();
    let mut cell = String::new();
    let mut quoted = false;
    let mut line = 1usize;
    let mut start = 1usize;
    let mut chars = text.chars().peekable();
    let end_record = |cells: &mut Vec<String>, cell: &mut String, records: &mut Vec<_>, at| {
        cells.push(std::mem::take(cell).trim().to_string());
        let row = std::mem::take(cells);
        if !(row.len() == 1 && row[0].is_empty()) {
            records.push((at, row));
        }
    };
    while let Some(c) = chars.next() {
        if quoted {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    cell.push('"');
                }
                '"' => quoted = false,
                '\n' => {
                    line += 1;
                    cell.push('\n');
                }
                _ => cell.push(c),
            }
            continue;
        }
        match c {
            '"' => quoted = true,
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' => {
                end_record(&mut cells, &mut cell, &mut records, start);
                line += 1;
                start = line;
            }
            c if c == delim => cells.push(std::mem::take(&mut cell).trim().to_string()),
            _ => cell.push(c),
        }
    }
    if quoted {
        return Err(TableError::OpenQuote(start));
    }
    end_record(&mut cells, &mut cell, &mut records, start);
    let mut records = records.into_iter();
    let (_, header) = records.next().ok_or(TableError::Empty)?;
    let mut rows = Vec::new();
    for (at, row) in records {
        if row.len() != header.len() {
            return Err(TableError::Width {
                line: at,
                found: row.len(),
                expected: header.len(),
            });
        }
        rows.push((at, row));
    }
    Ok(Table { header, rows })
}

/// Write rows as CSV (comma, CRLF as RFC 4180 says, quoting where needed).
pub fn write_csv(header: &[String], rows: &[Vec<String>]) -> String {
    let cell = |s: &str| {
        if s.contains([',', '"', '\n', '\r']) || s.starts_with(' ') || s.ends_with(' ') {
            format!("\"{}\"", s.replace('"', "\"\""))
        } else {
            s.to_string()
        }
    };
    let mut out = String::new();
    for r in std::iter::once(header).chain(rows.iter().map(|r| r.as_slice())) {
        let line: Vec<String> = r.iter().map(|s| cell(s)).collect();
        out.push_str(&line.join(","));
        out.push_str("\r\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spreadsheet_exports_parse_whatever_their_delimiter() {
        let comma =
            parse_table("\u{feff}subject,EDSS\r\nsub-1,\"4,5\"\r\n\r\nsub-2,3\r\n").unwrap();
        assert_eq!(comma.header, ["subject", "EDSS"]);
        assert_eq!(
            comma.rows,
            vec![
                (2, vec!["sub-1".to_string(), "4,5".to_string()]),
                (4, vec!["sub-2".to_string(), "3".to_string()])
            ]
        );
        let semi = parse_table("subject;EDSS\nsub-1;4,5\n").unwrap();
        assert_eq!(semi.rows[0].1, ["sub-1", "4,5"]);
        let tab = parse_table("subject\tEDSS\nsub-1\t\"a \"\"q\"\"\"\n").unwrap();
        assert_eq!(tab.rows[0].1, ["sub-1", "a \"q\""]);
    }

    #[test]
    fn malformed_tables_are_errors_with_the_line() {
        assert_eq!(parse_table("\n \n"), Err(TableError::Empty));
        assert_eq!(
            parse_table("a,b\n1,2,3\n"),
            Err(TableError::Width {
                line: 2,
                found: 3,
                expected: 2
            })
        );
        assert_eq!(parse_table("a,b\n\"1,2\n"), Err(TableError::OpenQuote(2)));
    }

    #[test]
    fn what_is_written_reads_back() {
        let header = vec!["subject".to_string(), "note".to_string()];
        let rows = vec![vec!["s,1".to_string(), "say \"hi\"".to_string()]];
        let t = parse_table(&write_csv(&header, &rows)).unwrap();
        assert_eq!(t.header, header);
        assert_eq!(t.rows[0].1, rows[0]);
    }
}
