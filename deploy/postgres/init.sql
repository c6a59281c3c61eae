-- Each service owns its database; run once, when the data volume is empty.
CREATE DATABASE inventory;
CREATE DATABASE booking;
CREATE DATABASE notifications;
CREATE DATABASE audit;
CREATE DATABASE gateway;
