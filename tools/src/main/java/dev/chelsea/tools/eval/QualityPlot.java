package dev.chelsea.tools.eval;

import javax.imageio.ImageIO;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Quality against memory, one line per policy, as a PNG: side-by-side panels sharing the x axis
 * (KV memory as a fraction of the full cache's). Drawn with Java2D on an off-screen image, so it
 * needs no display; text is skipped with a warning where the JDK has no usable fonts.
 */
public final class QualityPlot {
    static {
        // Before anything asks AWT for a graphics environment: there is no display to find.
        System.setProperty("java.awt.headless", "true");
    }

    private static final int PANEL_W = 560, PANEL_H = 420, TITLE_H = 36, LEGEND_H = 34;
    private static final int LEFT = 70, RIGHT = 20, TOP = 30, BOTTOM = 50;
    private static final Map<String, Color> COLORS = Map.of("full", Color.BLACK, "chelsea", new Color(0xD62728),
            "streaming", new Color(0x1F77B4), "h2o", new Color(0x2CA02C), "snapkv", new Color(0xFF7F0E));
    private static final Color[] OTHERS = {new Color(0x9467BD), new Color(0x8C564B), new Color(0xE377C2), new Color(0x7F7F7F)};

    /** One policy's points, in the order they are joined. */
    public record Series(String name, double[] x, double[] y) {
        public Series {
            if (x.length != y.length) {
                throw new IllegalArgumentException(name + ": " + x.length + " x values but " + y.length + " y values");
            }
        }
    }

    /**
     * @param reference a horizontal dashed line (the full cache's value), or NaN for none
     * @param yMin      lowest value the y axis may show (NaN: no limit), e.g. 0 for a fraction
     * @param yMax      highest value the y axis may show (NaN: no limit), e.g. 1 for a fraction
     */
    public record Panel(String yLabel, List<Series> series, double reference, double yMin, double yMax) {
        public Panel(String yLabel, List<Series> series, double reference) {
            this(yLabel, series, reference, Double.NaN, Double.NaN);
        }
    }

    private QualityPlot() {
    }

    /** Draws the panels side by side under {@code title}; returns whether text could be drawn. */
    public static boolean write(Path file, String title, String xLabel, List<Panel> panels) {
        if (panels.isEmpty()) {
            throw new IllegalArgumentException("nothing to plot");
        }
        List<String> names = panels.getFirst().series().stream().map(Series::name).toList();
        BufferedImage img = new BufferedImage(PANEL_W * panels.size(), TITLE_H + PANEL_H + LEGEND_H, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        boolean text = true;
        try {
            g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, img.getWidth(), img.getHeight());
            for (int p = 0; p < panels.size(); p++) {
                drawPanel(g, p * PANEL_W, TITLE_H, panels.get(p), xLabel, false);
            }
            try {
                g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
                g.setColor(Color.BLACK);
                g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 15));
                g.drawString(title, 12, 23);
                for (int p = 0; p < panels.size(); p++) {
                    drawPanel(g, p * PANEL_W, TITLE_H, panels.get(p), xLabel, true);
                }
                drawLegend(g, names, TITLE_H + PANEL_H + 8);
            } catch (RuntimeException | LinkageError noFonts) {
                // Minimal JDK images may lack fonts or fontconfig; the lines are still worth having.
                text = false;
            }
        } finally {
            g.dispose();
        }
        try {
            Path parent = file.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            if (!ImageIO.write(img, "png", file.toFile())) {
                throw new IllegalStateException("no PNG writer in this JDK");
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
        }
        return text;
    }

    private static Color color(String name, int index) {
        Color c = COLORS.get(name);
        return c != null ? c : OTHERS[index % OTHERS.length];
    }

    private static void drawPanel(Graphics2D g, int x0, int y0, Panel panel, String xLabel, boolean labels) {
        int pw = PANEL_W - LEFT - RIGHT, ph = PANEL_H - TOP - BOTTOM;
        int px = x0 + LEFT, py = y0 + TOP;
        double[] xr = range(panel, true), yr = range(panel, false);
        double[] xt = ticks(xr), yt = ticks(yr);
        xr = new double[] {Math.min(xr[0], xt[0]), Math.max(xr[1], xt[xt.length - 1])};
        yr = new double[] {Math.min(yr[0], yt[0]), Math.max(yr[1], yt[yt.length - 1])};
        if (!Double.isNaN(panel.yMin()) && yr[0] < panel.yMin()) {
            yr[0] = panel.yMin();
        }
        if (!Double.isNaN(panel.yMax()) && yr[1] > panel.yMax()) {
            yr[1] = panel.yMax();
        }
        double[] yLimits = yr;
        yt = java.util.Arrays.stream(yt).filter(t -> t >= yLimits[0] - 1e-9 && t <= yLimits[1] + 1e-9).toArray();
        Font small = labels ? new Font(Font.SANS_SERIF, Font.PLAIN, 12) : null;
        if (labels) {
            g.setFont(small);
            g.setColor(Color.DARK_GRAY);
            for (double t : xt) {
                int sx = sx(t, xr, px, pw);
                String s = label(t);
                g.drawString(s, sx - g.getFontMetrics().stringWidth(s) / 2, py + ph + 16);
            }
            for (double t : yt) {
                int sy = sy(t, yr, py, ph);
                String s = label(t);
                g.drawString(s, px - 6 - g.getFontMetrics().stringWidth(s), sy + 4);
            }
            g.drawString(xLabel, px + pw / 2 - g.getFontMetrics().stringWidth(xLabel) / 2, py + ph + 36);
            g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 13));
            g.drawString(panel.yLabel(), px, py - 10);
            return;
        }
        g.setColor(new Color(0xEEEEEE));
        for (double t : xt) {
            int sx = sx(t, xr, px, pw);
            g.drawLine(sx, py, sx, py + ph);
        }
        for (double t : yt) {
            int sy = sy(t, yr, py, ph);
            g.drawLine(px, sy, px + pw, sy);
        }
        g.setColor(Color.GRAY);
        g.drawRect(px, py, pw, ph);
        if (!Double.isNaN(panel.reference())) {
            g.setColor(Color.BLACK);
            g.setStroke(new BasicStroke(1.2f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[] {6f, 4f}, 0f));
            int sy = sy(panel.reference(), yr, py, ph);
            g.drawLine(px, sy, px + pw, sy);
        }
        for (int i = 0; i < panel.series().size(); i++) {
            Series s = panel.series().get(i);
            g.setColor(color(s.name(), i));
            g.setStroke(new BasicStroke(2.2f));
            for (int k = 1; k < s.x().length; k++) {
                g.drawLine(sx(s.x()[k - 1], xr, px, pw), sy(s.y()[k - 1], yr, py, ph), sx(s.x()[k], xr, px, pw), sy(s.y()[k], yr, py, ph));
            }
            for (int k = 0; k < s.x().length; k++) {
                int cx = sx(s.x()[k], xr, px, pw), cy = sy(s.y()[k], yr, py, ph);
                g.fillOval(cx - 4, cy - 4, 9, 9);
            }
        }
        g.setStroke(new BasicStroke(1f));
    }

    private static void drawLegend(Graphics2D g, List<String> names, int y) {
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
        int x = LEFT;
        for (int i = 0; i < names.size(); i++) {
            g.setColor(color(names.get(i), i));
            g.fillRect(x, y + 6, 22, 5);
            g.setColor(Color.BLACK);
            g.drawString(names.get(i), x + 28, y + 13);
            x += 40 + g.getFontMetrics().stringWidth(names.get(i));
        }
        g.setStroke(new BasicStroke(1.2f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[] {6f, 4f}, 0f));
        g.drawLine(x, y + 9, x + 22, y + 9);
        g.drawString("full cache", x + 28, y + 13);
    }

    private static int sx(double v, double[] r, int px, int pw) {
        return px + (int) Math.round((v - r[0]) / (r[1] - r[0]) * pw);
    }

    private static int sy(double v, double[] r, int py, int ph) {
        return py + ph - (int) Math.round((v - r[0]) / (r[1] - r[0]) * ph);
    }

    private static double[] range(Panel p, boolean x) {
        double lo = Double.POSITIVE_INFINITY, hi = Double.NEGATIVE_INFINITY;
        for (Series s : p.series()) {
            for (double v : x ? s.x() : s.y()) {
                if (Double.isFinite(v)) {
                    lo = Math.min(lo, v);
                    hi = Math.max(hi, v);
                }
            }
        }
        if (!x && Double.isFinite(p.reference())) {
            lo = Math.min(lo, p.reference());
            hi = Math.max(hi, p.reference());
        }
        if (!(lo <= hi)) {
            return new double[] {0, 1};
        }
        if (hi - lo < 1e-9 * Math.max(1, Math.abs(hi))) {
            double pad = Math.max(Math.abs(hi) * 0.05, 0.05);
            return new double[] {lo - pad, hi + pad};
        }
        double pad = (hi - lo) * 0.06;
        return new double[] {lo - pad, hi + pad};
    }

    /** About five round tick values covering {@code r}. */
    static double[] ticks(double[] r) {
        double span = r[1] - r[0];
        double step = Math.pow(10, Math.floor(Math.log10(span / 5)));
        for (double m : new double[] {1, 2, 2.5, 5, 10}) {
            if (span / (step * m) <= 6) {
                step *= m;
                break;
            }
        }
        double first = Math.floor(r[0] / step) * step;
        int n = (int) Math.ceil((r[1] - first) / step - 1e-9) + 1;
        double[] t = new double[n];
        for (int i = 0; i < n; i++) {
            t[i] = first + i * step;
        }
        return t;
    }

    private static String label(double v) {
        if (Math.abs(v) < 1e-12) {
            return "0";
        }
        String s = String.format(Locale.ROOT, "%.3f", v);
        return s.contains(".") ? s.replaceAll("0+$", "").replaceAll("\\.$", "") : s;
    }
}
