// SPDX-License-Identifier: Apache-2.0
// JdbcTour.java - a small Java program over MariaDB Connector/J (Debian libmariadb-java) for
// tests/e2e/test_mysql.py: run as `java -cp mariadb-java-client.jar JdbcTour.java PORT USER PW`
// (Java's single-file source launcher; nothing to build). It creates a table, inserts through a
// client-side prepared statement, reads the rows back with their JDBC types and prints one line
// per fact; the Python test compares the lines. A SQL error prints "error CODE SQLSTATE text".
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;

public class JdbcTour {
    public static void main(String[] args) throws Exception {
        String url = "jdbc:mariadb://127.0.0.1:" + args[0] + "/?user=" + args[1] + "&password="
                + (args.length > 2 ? args[2] : "");
        try (Connection c = DriverManager.getConnection(url); Statement s = c.createStatement()) {
            System.out.println("product " + c.getMetaData().getDatabaseProductVersion());
            s.execute("CREATE DATABASE IF NOT EXISTS jdbc");
            c.setCatalog("jdbc");
            System.out.println("catalog " + c.getCatalog());
            s.execute("CREATE TABLE t (id INT, name VARCHAR(32), price DECIMAL(10,2), ts DATETIME,"
                    + " ok BOOLEAN) DUPLICATE KEY(id) DISTRIBUTED BY HASH(id) BUCKETS 1");
            try (PreparedStatement p = c.prepareStatement("INSERT INTO t VALUES (?, ?, ?, ?, ?)")) {
                p.setInt(1, 1);
                p.setString(2, "it's");
                p.setBigDecimal(3, new java.math.BigDecimal("3.50"));
                p.setString(4, "2024-05-06 07:08:09");
                p.setBoolean(5, true);
                System.out.println("inserted " + p.executeUpdate());
            }
            System.out.println("inserted " + s.executeUpdate("INSERT INTO t VALUES (2, NULL, NULL, NULL, NULL)"));
            try (ResultSet r = s.executeQuery("SELECT id, name, price, ts, ok FROM t ORDER BY id")) {
                ResultSetMetaData m = r.getMetaData();
                StringBuilder b = new StringBuilder("columns");
                for (int i = 1; i <= m.getColumnCount(); i++)
                    b.append(' ').append(m.getColumnLabel(i)).append(':').append(m.getColumnTypeName(i));
                System.out.println(b);
                while (r.next())
                    System.out.println("row " + r.getInt(1) + "|" + r.getString(2) + "|"
                            + r.getBigDecimal(3) + "|" + r.getTimestamp(4) + "|" + r.getObject(5));
            }
            try {
                s.executeQuery("SELECT nope FROM t");
            } catch (SQLException e) {
                System.out.println("error " + e.getErrorCode() + " " + e.getSQLState() + " " + e.getMessage());
            }
        }
    }
}
