-- data_span: the first and last dates on which anything happened, to offer only months with data.
SELECT MIN(enrolled_on) AS first_day, MAX(enrolled_on) AS last_enrolment,
       (SELECT MAX(visited_on) FROM visit) AS last_visit
FROM child
