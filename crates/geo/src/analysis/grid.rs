//! The regular analysis grid: `cols × rows` square cells of side `cell` from the south-west corner
//! `(x0, y0)`. A point's cell is `col = floor((x−x0)/C)`, `row = floor((y−y0)/C)` (row 0 at the
//! south), `cell_id = row·cols + col`; cell centres are `(x0+(col+½)C, y0+(row+½)C)`. Points
//! outside are counted, not binned.

use serde::Serialize;

/// Why a grid or its inputs cannot be used.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum GridError {
    /// The cell size is not a positive finite number.
    #[error("cell size must be a positive number, got {0}")]
    Cell(f64),
    /// The origin is not finite.
    #[error("grid origin must be finite")]
    Origin,
    /// No cells.
    #[error("grid must have at least one column and one row (got {cols} × {rows})")]
    Empty {
        /// Columns asked for.
        cols: usize,
        /// Rows asked for.
        rows: usize,
    },
    /// Too many cells to hold in memory.
    #[error("grid of {cols} × {rows} cells is larger than the limit of {limit} cells")]
    TooLarge {
        /// Columns asked for.
        cols: usize,
        /// Rows asked for.
        rows: usize,
        /// The limit.
        limit: usize,
    },
}

/// At most this many cells (400 MB of f64 per surface).
pub const MAX_CELLS: usize = 50_000_000;

/// A regular grid of square cells.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Grid {
    /// West edge.
    pub x0: f64,
    /// South edge.
    pub y0: f64,
    /// Cell side, in the unit of the coordinates.
    pub cell: f64,
    /// Number of columns (west → east).
    pub cols: usize,
    /// Number of rows (south → north).
    pub rows: usize,
}

/// Counts per cell and what did not fit.
#[derive(Debug, Clone, PartialEq)]
pub struct Binned {
    /// Sum of weights (or count) per cell, indexed by `cell_id`.
    pub values: Vec<f64>,
    /// Points inside the grid.
    pub inside: usize,
    /// Points outside the grid (not binned).
    pub outside: usize,
}

impl Grid {
    /// Checks the parameters.
    pub fn new(x0: f64, y0: f64, cell: f64, cols: usize, rows: usize) -> Result<Self, GridError> {
        if !(cell.is_finite() && cell > 0.0) {
            return Err(GridError::Cell(cell));
        }
        if !(x0.is_finite() && y0.is_finite()) {
            return Err(GridError::Origin);
        }
        if cols == 0 || rows == 0 {
            return Err(GridError::Empty { cols, rows });
        }
        if cols.checked_mul(rows).is_none_or(|n| n > MAX_CELLS) {
            return Err(GridError::TooLarge {
                cols,
                rows,
                limit: MAX_CELLS,
            });
        }
        Ok(Self {
            x0,
            y0,
            cell,
            cols,
            rows,
        })
    }

    /// Number of cells.
    pub fn len(&self) -> usize {
        self.cols * self.rows
    }

    /// Never true for a grid made by [`Grid::new`].
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// `(row, col)` of the cell holding `(x, y)`, or `None` outside the grid.
    pub fn cell_of(&self, x: f64, y: f64) -> Option<(usize, usize)> {
        let c = ((x - self.x0) / self.cell).floor();
        let r = ((y - self.y0) / self.cell).floor();
        if c >= 0.0 && r >= 0.0 && c < self.cols as f64 && r < self.rows as f64 {
            Some((r as usize, c as usize))
        } else {
            None
        }
    }

    /// Centre of cell `(row, col)`.
    pub fn centre(&self, row: usize, col: usize) -> (f64, f64) {
        (
            self.x0 + (col as f64 + 0.5) * self.cell,
            self.y0 + (row as f64 + 0.5) * self.cell,
        )
    }

    /// Which cells belong to a study area: those whose centre `inside` accepts.
    pub fn mask_of(&self, inside: impl Fn(f64, f64) -> bool) -> Vec<bool> {
        (0..self.len())
            .map(|id| {
                let (x, y) = self.centre(id / self.cols, id % self.cols);
                inside(x, y)
            })
            .collect()
    }

    /// Sums `weights` (1 each when `None`) of the points into their cells.
    pub fn bin(&self, xs: &[f64], ys: &[f64], weights: Option<&[f64]>) -> Binned {
        let mut values = vec![0.0; self.len()];
        let (mut inside, mut outside) = (0, 0);
        for i in 0..xs.len() {
            match self.cell_of(xs[i], ys[i]) {
                Some((r, c)) => {
                    values[r * self.cols + c] += weights.map_or(1.0, |w| w[i]);
                    inside += 1;
                }
                None => outside += 1,
            }
        }
        Binned {
            values,
            inside,
            outside,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_follow_the_stated_convention() {
        let g = Grid::new(100.0, 200.0, 10.0, 3, 2).unwrap();
        assert_eq!(g.cell_of(100.0, 200.0), Some((0, 0)));
        assert_eq!(g.cell_of(129.99, 219.99), Some((1, 2)));
        assert_eq!(g.cell_of(130.0, 205.0), None, "east edge is outside");
        assert_eq!(g.cell_of(99.99, 205.0), None);
        assert_eq!(g.centre(1, 2), (125.0, 215.0));
        let b = g.bin(
            &[101.0, 125.0, 125.0, 500.0],
            &[201.0, 215.0, 219.0, 0.0],
            None,
        );
        assert_eq!(b.values, vec![1.0, 0.0, 0.0, 0.0, 0.0, 2.0]);
        assert_eq!((b.inside, b.outside), (3, 1));
    }

    #[test]
    fn bad_parameters_are_refused() {
        assert_eq!(Grid::new(0.0, 0.0, 0.0, 1, 1), Err(GridError::Cell(0.0)));
        assert!(matches!(
            Grid::new(0.0, 0.0, 1.0, 0, 5),
            Err(GridError::Empty { .. })
        ));
        assert!(matches!(
            Grid::new(0.0, 0.0, 1.0, 100_000, 100_000),
            Err(GridError::TooLarge { .. })
        ));
        assert_eq!(Grid::new(f64::NAN, 0.0, 1.0, 1, 1), Err(GridError::Origin));
    }
}
