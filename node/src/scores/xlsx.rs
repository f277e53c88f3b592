//! XLSX workbooks of scores: the first sheet read as a [`Table`] (calamine), a table written as
//! a one-sheet workbook (rust_xlsxwriter).
//!
//! A workbook is a zip of XML, so its size says little about what it expands to: before
//! calamine parses it, every entry is decompressed once, counted, under [`MAX_XLSX_EXPANDED`]
//! bytes in all; the sheet is then read cell by cell (never as the bounding box a hostile
//! `dimension` could declare) under [`MAX_ROWS`] rows and [`MAX_COLUMNS`] columns.

use std::io::{Cursor, Read};

use calamine::{DataRef, Reader, Xlsx};

use super::table::{Table, TableError};

/// Most bytes the entries of a workbook may decompress to, in all.
pub(crate) const MAX_XLSX_EXPANDED: u64 = 256 << 20;
/// Most rows read from a sheet (the header included).
pub(crate) const MAX_ROWS: u32 = 200_000;
/// Most columns read from a sheet.
pub(crate) const MAX_COLUMNS: u32 = 1_000;

/// Whether `bytes` look like an XLSX workbook (a zip).
pub fn is_xlsx(bytes: &[u8]) -> bool {
    bytes.starts_with(b"PK\x03\x04")
}

fn bad(msg: impl Into<String>) -> TableError {
    TableError::Workbook(msg.into())
}

/// Decompress every entry once, counting, so that a zip bomb is refused before calamine
/// allocates anything for it.
fn check_expansion(bytes: &[u8]) -> Result<(), TableError> {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes))
        .map_err(|e| bad(format!("not a readable XLSX workbook (zip): {e}")))?;
    let mut total = 0u64;
    for i in 0..zip.len() {
        let entry = zip
            .by_index(i)
            .map_err(|e| bad(format!("unreadable workbook entry: {e}")))?;
        let left = MAX_XLSX_EXPANDED - total;
        let n = std::io::copy(&mut entry.take(left + 1), &mut std::io::sink())
            .map_err(|e| bad(format!("cannot decompress the workbook: {e}")))?;
        total += n;
        if total > MAX_XLSX_EXPANDED {
            return Err(bad(format!(
                "the workbook expands to more than {} MiB: not a score table",
                MAX_XLSX_EXPANDED >> 20
            )));
        }
    }
    Ok(())
}

/// Text of a cell: numbers as they print (`4.5`, whole ones without a fraction: `4`), dates as
/// `YYYY-MM-DD`, booleans as `true`/`false`, errors refused.
fn text(v: &DataRef<'_>, at: (u32, u32)) -> Result<String, TableError> {
    let cell = || format!("line {} column {}", at.0 + 1, at.1 + 1);
    Ok(match v {
        DataRef::Empty => String::new(),
        DataRef::String(s) => s.clone(),
        DataRef::SharedString(s) => s.to_string(),
        DataRef::Int(i) => i.to_string(),
        DataRef::Float(f) if f.is_finite() && f.fract() == 0.0 && f.abs() < 9.0e15 => {
            format!("{}", *f as i64)
        }
        DataRef::Float(f) => f.to_string(),
        DataRef::Bool(b) => b.to_string(),
        DataRef::DateTime(d) if d.is_datetime() => {
            let (y, m, day, ..) = d.to_ymd_hms_milli();
            format!("{y:04}-{m:02}-{day:02}")
        }
        DataRef::DateTime(d) => {
            return Err(bad(format!(
                "{}: a duration ({}) is no score",
                cell(),
                d.as_f64()
            )))
        }
        DataRef::DateTimeIso(s) => s.get(..10).unwrap_or(s).to_string(),
        DataRef::DurationIso(s) => {
            return Err(bad(format!("{}: a duration ({s}) is no score", cell())))
        }
        DataRef::Error(e) => return Err(bad(format!("{}: the cell holds an error ({e})", cell()))),
    })
}

/// Read the first sheet of an XLSX workbook as a table: its first non-empty row is the header,
/// rows that are empty are skipped, line numbers are the sheet's row numbers.
pub fn read_xlsx(bytes: &[u8]) -> Result<Table, TableError> {
    check_expansion(bytes)?;
    let mut book: Xlsx<_> = Xlsx::new(Cursor::new(bytes))
        .map_err(|e| bad(format!("not a readable XLSX workbook: {e}")))?;
    let first = book
        .sheet_names()
        .into_iter()
        .next()
        .ok_or_else(|| bad("the workbook has no sheet"))?;
    let mut reader = book
        .worksheet_cells_reader(&first)
        .map_err(|e| bad(format!("sheet {first:?}: {e}")))?;
    // Cells come row by row; rows are gathered sparse, then made as wide as the header.
    let mut rows: Vec<(u32, Vec<(u32, String)>)> = Vec::new();
    while let Some(c) = reader
        .next_cell()
        .map_err(|e| bad(format!("sheet {first:?}: {e}")))?
    {
        let (r, col) = c.get_position();
        if r >= MAX_ROWS || col >= MAX_COLUMNS {
            return Err(bad(format!(
                "sheet {first:?}: a cell at line {} column {} is beyond {MAX_ROWS} lines or {MAX_COLUMNS} columns",
                u64::from(r) + 1,
                u64::from(col) + 1
            )));
        }
        let t = text(c.get_value(), (r, col))?;
        let t = t.trim();
        if t.is_empty() {
            continue;
        }
        match rows.last_mut() {
            Some((last, cells)) if *last == r => cells.push((col, t.to_string())),
            _ => rows.push((r, vec![(col, t.to_string())])),
        }
    }
    let mut rows = rows.into_iter();
    let (_, head) = rows.next().ok_or(TableError::Empty)?;
    let width = head.iter().map(|(c, _)| *c + 1).max().unwrap_or(0) as usize;
    let mut header = vec![String::new(); width];
    for (c, t) in head {
        header[c as usize] = t;
    }
    let mut out = Vec::new();
    for (r, cells) in rows {
        let line = r as usize + 1;
        let mut row = vec![String::new(); width];
        for (c, t) in cells {
            match row.get_mut(c as usize) {
                Some(slot) => *slot = t,
                None => {
                    return Err(TableError::Width {
                        line,
                        found: c as usize + 1,
                        expected: width,
                    })
                }
            }
        }
        out.push((line, row));
    }
    Ok(Table { header, rows: out })
}

/// A table as a one-sheet XLSX workbook named `sheet`: the header in bold, frozen; cells of the
/// columns marked in `numeric` that read as numbers written as numbers, the others as text.
pub fn write_xlsx(
    sheet: &str,
    header: &[String],
    rows: &[Vec<String>],
    numeric: &[bool],
) -> Result<Vec<u8>, TableError> {
    use rust_xlsxwriter::{Format, Workbook};
    let err = |e: rust_xlsxwriter::XlsxError| bad(format!("writing the workbook: {e}"));
    let mut book = Workbook::new();
    let ws = book.add_worksheet();
    // Sheet names: at most 31 characters, none of []:*?/\.
    let name: String = sheet
        .chars()
        .filter(|c| !"[]:*?/\\".contains(*c))
        .take(31)
        .collect();
    if !name.trim().is_empty() {
        ws.set_name(name.trim()).map_err(err)?;
    }
    let bold = Format::new().set_bold();
    for (c, h) in header.iter().enumerate() {
        ws.write_string_with_format(0, c as u16, h, &bold)
            .map_err(err)?;
    }
    ws.set_freeze_panes(1, 0).map_err(err)?;
    for (r, row) in rows.iter().enumerate() {
        let r = u32::try_from(r + 1).map_err(|_| bad("too many rows"))?;
        for (c, cell) in row.iter().enumerate() {
            if cell.is_empty() {
                continue;
            }
            let col = u16::try_from(c).map_err(|_| bad("too many columns"))?;
            match cell.parse::<f64>() {
                Ok(x) if x.is_finite() && numeric.get(c).copied().unwrap_or(false) => {
                    ws.write_number(r, col, x).map_err(err)?;
                }
                _ => {
                    ws.write_string(r, col, cell).map_err(err)?;
                }
            }
        }
    }
    book.save_to_buffer().map_err(err)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_written_workbook_reads_back_as_the_table() {
        let header: Vec<String> = ["participant_id", "session", "EDSS", "course"]
            .map(String::from)
            .to_vec();
        let rows = vec![
            vec![
                "sub-P1".into(),
                "ses-20310304".into(),
                "3.5".into(),
                "RR".into(),
            ],
            vec!["sub-P2".into(), String::new(), "4".into(), String::new()],
        ];
        let bytes = write_xlsx("EDSS", &header, &rows, &[false, false, true, false]).unwrap();
        assert!(is_xlsx(&bytes));
        let t = read_xlsx(&bytes).unwrap();
        assert_eq!(t.header, header);
        assert_eq!(t.rows, vec![(2, rows[0].clone()), (3, rows[1].clone())]);
    }

    #[test]
    fn garbage_and_bombs_are_refused_with_a_reason() {
        assert!(read_xlsx(b"PK\x03\x04garbage").is_err());
        assert!(read_xlsx(b"").is_err());
        // A zip of one entry of zeros that expands past the limit.
        let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .large_file(true);
        w.start_file("xl/sharedStrings.xml", opts).unwrap();
        let zeros = vec![0u8; 1 << 20];
        for _ in 0..(MAX_XLSX_EXPANDED >> 20) + 1 {
            std::io::Write::write_all(&mut w, &zeros).unwrap();
        }
        let bomb = w.finish().unwrap().into_inner();
        assert!(bomb.len() < 2 << 20, "{}", bomb.len());
        let e = read_xlsx(&bomb).unwrap_err().to_string();
        assert!(e.contains("expands to more than"), "{e}");
    }
}
